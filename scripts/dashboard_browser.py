#!/usr/bin/env python3
"""Drive the hub's dashboard in a real headless Chromium (Debian's chromium + chromium-driver,
through Selenium), as a person at 技术处 would: log in with the auditor's token, read the matrix,
save a screenshot and check that the Chinese was drawn, then wait for a live update.

usage: dashboard_browser.py URL TOKEN SCREENSHOT.png [--scores PERIOD SCORES.png TOTAL] [--wait-live]

--scores also opens the 考核得分 page of PERIOD, checks that its ranking table holds a court whose
total is TOTAL and that the Chinese of its header and names was drawn, and saves SCORES.png.

Prints READY once the page is open and its event stream connected (the caller then makes a node
sync), and exits 0 when every check passed; otherwise prints one line saying what failed, exit 1.
"""
import struct
import sys
import time
import zlib

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def fail(msg):
    print(f"FAIL {msg}", flush=True)
    sys.exit(1)


def wait(cond, what, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            v = cond()
            if v:
                return v
        except Exception:  # the page may be between loads
            pass
        time.sleep(0.2)
    fail(f"timed out waiting for {what}")


def read_png(path):
    """A minimal PNG reader (8-bit RGB/RGBA, not interlaced: what Chromium writes)."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path} is not a PNG")
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or color not in (2, 6) or interlace:
                fail(f"unexpected PNG format depth={depth} color={color} interlace={interlace}")
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, bpp, rows


def dark_pixels(png, box):
    width, height, bpp, rows = png
    x0, y0, x1, y1 = (max(0, int(v)) for v in box)
    n = 0
    for y in range(y0, min(y1, height)):
        r = rows[y]
        for x in range(x0, min(x1, width)):
            o = x * bpp
            if r[o] * 299 + r[o + 1] * 587 + r[o + 2] * 114 < 90_000:
                n += 1
    return n


def check_scores(driver, url, period, shot, total):
    """The 考核得分 page: reached from the nav, a ranked table of courts, CJK drawn."""
    link = driver.find_element(By.LINK_TEXT, "考核得分")
    driver.get(link.get_attribute("href").split("?")[0] + "?period=" + period)
    table = wait(lambda: driver.find_elements(By.CSS_SELECTOR, "table.scores.court"), "the courts' scores table")[0]
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr[data-unit]")
    if not rows:
        fail("the scores table has no rows")
    cells = [c.text for c in rows[0].find_elements(By.TAG_NAME, "td")]
    if cells[0] != "1/" + str(len(rows)) or cells[2] != total:
        fail(f"the first row is {cells}, expected rank 1/{len(rows)} and total {total}")
    driver.save_screenshot(shot)
    png = read_png(shot)
    ratio = driver.execute_script("return window.devicePixelRatio") or 1

    def dark_in(el):
        r = el.rect
        return dark_pixels(png, (r["x"] * ratio, r["y"] * ratio, (r["x"] + r["width"]) * ratio, (r["y"] + r["height"]) * ratio))

    head = dark_in(table.find_element(By.TAG_NAME, "thead"))
    name = dark_in(rows[0].find_element(By.CSS_SELECTOR, "td.name"))
    title = dark_in(driver.find_element(By.TAG_NAME, "h1"))
    if head < 400 or name < 60 or title < 200:
        fail(f"the scores page's Chinese did not render: header {head}, court name {name}, title {title} dark pixels")
    print(f"scores ok: {len(rows)} courts ranked, first {cells[1]} {cells[2]}, header dark pixels {head}", flush=True)


def main():
    if len(sys.argv) < 4:
        fail("usage: dashboard_browser.py URL TOKEN SCREENSHOT.png [--wait-live]")
    url, token, shot = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1500,1100", "--ignore-certificate-errors", "--lang=zh-CN"]:
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.set_page_load_timeout(60)
        driver.get(url + "/dashboard")
        wait(lambda: "/dashboard/login" in driver.current_url, "the redirect to the login page")
        driver.find_element(By.ID, "token").send_keys(token)
        driver.find_element(By.ID, "login").click()
        wait(lambda: driver.find_elements(By.CSS_SELECTOR, "table.matrix"), "the matrix after login")

        cookie = next((c for c in driver.get_cookies() if c["name"] == "courtsync_session"), None)
        if not cookie or not cookie.get("httpOnly") or not cookie.get("secure") or cookie.get("sameSite") != "Strict":
            fail(f"the session cookie must be Secure, HttpOnly, SameSite=Strict: {cookie}")
        if driver.execute_script("return document.cookie").find("courtsync_session") >= 0:
            fail("the session cookie is readable from JavaScript")

        courts = driver.find_elements(By.CSS_SELECTOR, "table.matrix tr.court")
        indicators = driver.find_elements(By.CSS_SELECTOR, "table.matrix th.indicator")
        if len(courts) != 11 or len(indicators) != 19:
            fail(f"the matrix has {len(courts)} courts and {len(indicators)} indicator columns, expected 11 and 19")
        names = [c.find_element(By.CSS_SELECTOR, "td.name").text for c in courts]
        if names[0] != "焦作市中级人民法院" or "孟州市人民法院" not in names:
            fail(f"court names: {names}")
        if not driver.execute_script("return document.fonts.check('16px \"Noto Sans CJK SC\"', '焦作')"):
            fail("no CJK font: install fonts-noto-cjk")

        driver.save_screenshot(shot)
        png = read_png(shot)
        width, height = png[0], png[1]
        # Not blank: some dark pixels over the whole page.
        if dark_pixels(png, (0, 0, width, height)) < 2000:
            fail("the screenshot is (nearly) blank")
        # The indicator names (vertical Chinese) in the matrix's header, and the court names.
        head = driver.find_element(By.CSS_SELECTOR, "table.matrix thead").rect
        ratio = driver.execute_script("return window.devicePixelRatio") or 1
        box = (head["x"] * ratio, head["y"] * ratio, (head["x"] + head["width"]) * ratio, (head["y"] + head["height"]) * ratio)
        dark = dark_pixels(png, box)
        if dark < 1500:
            fail(f"the matrix header has only {dark} dark pixels: the Chinese indicator names did not render")
        first = courts[0].find_element(By.CSS_SELECTOR, "td.name").rect
        name_dark = dark_pixels(png, (first["x"] * ratio, first["y"] * ratio, (first["x"] + first["width"]) * ratio, (first["y"] + first["height"]) * ratio))
        if name_dark < 60:
            fail(f"the first court's name has only {name_dark} dark pixels")
        print(f"matrix ok: 11 courts, 19 indicators, header dark pixels {dark}, screenshot {width}x{height}", flush=True)

        if "--scores" in sys.argv:
            i = sys.argv.index("--scores")
            check_scores(driver, url, *sys.argv[i + 1:i + 4])
            driver.get(url + "/dashboard")
            wait(lambda: driver.find_elements(By.CSS_SELECTOR, "table.matrix"), "the matrix again")

        # Readable without JavaScript too: the same server-rendered table, no script needed.
        if "--wait-live" in sys.argv:
            wait(lambda: "已连接" in driver.find_element(By.ID, "live").text, "the event stream to connect")
            marker = driver.execute_script("var t=document.querySelector('#main');t.setAttribute('data-old','1');return 1")
            print("READY", flush=True)
            wait(lambda: "已更新" in driver.find_element(By.ID, "live").text, "a live update after the sync", seconds=120)
            if driver.find_element(By.ID, "main").get_attribute("data-old") != "1" or marker != 1:
                fail("the page was reloaded whole instead of its main part")
            print("live update ok: " + driver.find_element(By.ID, "live").text, flush=True)
    finally:
        driver.quit()
    print("OK", flush=True)


if __name__ == "__main__":
    main()
