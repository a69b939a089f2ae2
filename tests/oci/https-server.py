#!/usr/bin/env python3
"""A static HTTPS server on 127.0.0.1 for host/src/fetch/tests.rs.

    https-server.py DIR CERT KEY [CUT]

Serves DIR's files with Range support (`bytes=N-`). With CUT, the first response stops
after CUT bytes of its body and the connection is closed: a server that dies mid-download.
Prints the port on stdout once it listens; each request is a line on stderr.
"""

import http.server
import os
import ssl
import sys

DIR, CERT, KEY = sys.argv[1:4]
CUT = [int(sys.argv[4])] if len(sys.argv) > 4 else []


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        path = os.path.join(DIR, os.path.basename(self.path))
        if not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as f:
            data = f.read()
        start = 0
        ranged = self.headers.get("Range", "")
        sys.stderr.write(f"GET {self.path} {ranged}\n")
        if ranged.startswith("bytes=") and ranged.endswith("-"):
            start = int(ranged[6:-1])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if CUT:
            self.wfile.write(body[: CUT.pop()])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(CERT, KEY)
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
