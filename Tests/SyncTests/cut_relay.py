"""A TCP relay for tests: forwards 127.0.0.1:LISTEN to 127.0.0.1:TARGET and cuts each
connection after LIMIT bytes from the client, like a flaky county link."""
import socket
import sys
import threading

listen_port, target_port, limit = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])


def pipe(src, dst, budget):
    sent = 0
    try:
        while True:
            data = src.recv(16384)
            if not data:
                break
            if budget is not None and sent + len(data) > budget:
                dst.sendall(data[: budget - sent])
                break
            dst.sendall(data)
            sent += len(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", listen_port))
server.listen(16)
while True:
    client, _ = server.accept()
    upstream = socket.create_connection(("127.0.0.1", target_port))
    threading.Thread(target=pipe, args=(client, upstream, limit), daemon=True).start()
    threading.Thread(target=pipe, args=(upstream, client, None), daemon=True).start()
