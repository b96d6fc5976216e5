#!/usr/bin/env python3
"""Writes protocol/plan/supervised-systems.jsonl: the systems the plan's §三 gives departments
督导考核 duties for, beyond its 19 indicators, as `indicator.defined` policy records that the
hub's node (410800) imports (`courtsync node import --dir HUB protocol/plan/supervised-systems.jsonl`).

Each is measured from `system.used` events a court records from that system's export:
- share:  uses through the system (channel=online) / all such acts         (percent)
- quality: successful uses (outcome=success) / all uses                    (percent)
- staff:  distinct staff using it / staff on the roster                      (percent)
- per_case: uses / cases filed                                               (per_case)
No threshold: 督导 figures until 技术处 sets one with threshold.set (setter=tech).
"""
import json, pathlib, sys

GROUND = "grassroots-courts"
# (slug, code, name, lead, measure kind, seed duty)
SYSTEMS = [
    ("entrusted-appraisal", "S01", "委托鉴定系统网上委托率", "tech", "share", "技术处职责"),
    ("video-conference", "S02", "远程视频会议系统使用率", "tech", "share", "技术处职责"),
    ("four-category-supervision", "S03", "四类案件监管系统应用率", "trial-management", "share", "审管办职责"),
    ("remand-reversal", "S04", "发改指案件系统评查率", "trial-management", "share", "审管办职责"),
    ("judgment-publication", "S05", "裁判文书上网率", "trial-management", "quality", "审管办职责"),
    ("process-disclosure", "S06", "审判流程信息公开率", "trial-management", "share", "审管办职责"),
    ("document-generation", "S07", "文书智能生成案均使用数", "trial-management", "per_case", "审管办职责5"),
    ("similar-case-push", "S08", "类案推送案均使用数", "trial-management", "per_case", "审管办职责5"),
    ("document-correction", "S09", "文书纠错案均使用数", "trial-management", "per_case", "审管办职责5"),
    ("hearing-patrol", "S10", "庭审巡查系统巡查率", "trial-management", "share", "审管办职责6"),
    ("service-rating", "S11", "好差评系统评价率", "case-filing", "share", "立案庭职责2"),
    ("enforcement-e-seal", "S12", "执行电子签章使用率", "enforcement-general", "share", "执行局综合处职责1"),
    ("network-inquiry", "S13", "网络查控使用率", "enforcement-general", "share", "执行局综合处职责"),
    ("joint-punishment", "S14", "联合惩戒系统应用率", "enforcement-general", "share", "执行局综合处职责"),
    ("enforcement-command", "S15", "执行指挥系统应用率", "enforcement-general", "share", "执行局综合处职责"),
    ("price-inquiry", "S16", "询价委托网上办理率", "enforcement-general", "share", "执行局综合处职责"),
    ("online-auction", "S17", "网络司法拍卖率", "enforcement-general", "share", "执行局综合处职责"),
    ("sunshine-enforcement-app", "S18", "阳光执行APP使用率", "enforcement-general", "share", "执行局综合处职责"),
    ("enforcement-disclosure", "S19", "执行流程信息公开率", "enforcement-general", "share", "执行局综合处职责"),
    ("enforcement-dossier-review", "S20", "执行电子卷宗评查合格率", "enforcement-general", "quality", "执行局综合处职责3"),
    ("oa-office", "S21", "办公系统（办公/办文/办会/政务）活跃度", "general-office", "staff", "办公室职责"),
    ("departed-staff-screening", "S22", "离职人员违规从业信息筛查录入率", "personnel", "share", "人事处职责"),
    ("intranet", "S23", "内网应用活跃度", "publicity", "staff", "宣教处职责1"),
    ("official-website", "S24", "官网信息发布率", "publicity", "share", "宣教处职责1"),
]


def measure(slug: str, kind: str) -> dict:
    base = {"count": "events", "type": "system.used", "where": {"system": slug}}
    if kind == "share":
        return {"numerator": {"count": "events", "type": "system.used", "where": {"system": slug, "channel": "online"}}, "denominator": base}
    if kind == "quality":
        return {"numerator": {"count": "events", "type": "system.used", "where": {"system": slug, "outcome": "success"}}, "denominator": base}
    if kind == "staff":
        return {"numerator": {"count": "distinct", "field": "staff_id", "type": "system.used", "where": {"system": slug}},
                "denominator": {"count": "roster", "field": "headcount", "type": "roster.set"}}
    if kind == "per_case":
        return {"numerator": base, "denominator": {"count": "events", "type": "case.filed"}}
    raise ValueError(kind)


def records() -> list:
    out = []
    for slug, code, name, lead, kind, duty in SYSTEMS:
        responsible = [lead, GROUND] if lead != "tech" else ["ic-departments", GROUND]
        out.append({
            "id": f"define-{slug}", "type": "indicator.defined", "at": "2022-07-28T09:00:00+08:00",
            "data": {
                "indicator": slug, "code": code, "name": name, "unit": "per_case" if kind == "per_case" else "percent",
                "kind": "supervised", "measure": measure(slug, kind), "lead": [lead], "responsible": responsible,
                "effective": "2022-07-28", "document": f"焦中法〔2022〕77号 三、{duty}（督导）",
            },
        })
    return out


def main(argv) -> int:
    path = pathlib.Path(__file__).resolve().parents[1] / "plan" / "supervised-systems.jsonl"
    text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n" for r in records())
    if "--check" in argv:
        if path.read_text(encoding="utf-8") != text:
            print(f"{path} is out of date: run python3 protocol/tools/make_supervised_systems.py", file=sys.stderr)
            return 1
        print(f"{path.name}: {len(SYSTEMS)} supervised systems, up to date")
        return 0
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path} ({len(SYSTEMS)} systems)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
