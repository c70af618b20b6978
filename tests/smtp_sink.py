"""A small real SMTP server for tests: speaks enough SMTP over TCP for
smtplib (EHLO, MAIL, RCPT, DATA, QUIT) and keeps what it receives.
(aiosmtpd would do, but its dependency installs a module named `public`,
which is the name of one of our rooms.)"""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class Envelope:
    mail_from: str = ""
    rcpt_tos: list[str] = field(default_factory=list)
    content: bytes = b""


class _Handler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        envelope = Envelope()
        self.reply("220 sink ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode("utf-8", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 sink")
            elif verb == "MAIL":
                envelope = Envelope(mail_from=command.split(":", 1)[1].strip(" <>"))
                self.reply("250 OK")
            elif verb == "RCPT":
                envelope.rcpt_tos.append(command.split(":", 1)[1].strip(" <>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with .")
                envelope.content = self._read_data()
                self.server.messages.append(envelope)
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")

    def _read_data(self) -> bytes:
        lines = []
        while True:
            line = self.rfile.readline()
            if line in (b".\r\n", b".\n", b""):
                return b"".join(lines)
            lines.append(line[1:] if line.startswith(b"..") else line)


class SMTPSink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.messages: list[Envelope] = []
        self.port = self.server_address[1]
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()
