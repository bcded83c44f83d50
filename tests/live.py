"""`creatify-mock serve` in a subprocess on a free loopback port, for tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx

COMMAND = Path(sys.executable).with_name("creatify-mock")


class LiveMock:
    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.args = [str(COMMAND), "serve", "--port", "0", *args]
        self.env = {**os.environ, **(env or {})}
        self.banner: list[str] = []
        self.log: list[str] = []
        self.url = ""

    def __enter__(self) -> LiveMock:
        self.process = subprocess.Popen(
            self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env
        )
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.banner.append(line.rstrip("\n"))
            if line.strip().startswith("spec "):
                break
        else:
            _, err = self.process.communicate(timeout=10)  # also closes both pipes
            raise RuntimeError(f"creatify-mock exited: {err}")
        self.url = next(ln.split()[2] for ln in self.banner if "base URL" in ln)
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()
        return self

    def _read_log(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line.rstrip("\n"))

    def client(self, api_id: str = "demo", api_key: str = "demo") -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"X-API-ID": api_id, "X-API-KEY": api_key}, timeout=10
        )

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._reader.join(timeout=5)
        return int(self.process.returncode)

    def __exit__(self, *exc: object) -> None:
        self.stop()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
