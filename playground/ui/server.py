"""Run the app in a background thread on a free port from a small range (tests, benchmarks).

    url, demo = serve(build_demo(store), ports=range(7870, 7880))
    ...
    demo.close()
"""

from __future__ import annotations

import socket

from playground.ui.wiring import launch_kwargs


def _free(port: int, host: str) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def serve(demo, ports=range(7870, 7890), host: str = "127.0.0.1") -> tuple[str, object]:
    """Launch ``demo`` without blocking on the first free port in ``ports``; returns (url, demo)."""
    for port in ports:
        if not _free(port, host):
            continue
        try:
            _, url, _ = demo.launch(server_name=host, server_port=port, prevent_thread_lock=True, quiet=True,
                                    ssr_mode=False, **launch_kwargs())
        except OSError:  # taken between the check and the bind
            continue
        return url.rstrip("/"), demo
    raise OSError(f"no free port in {ports.start}-{ports.stop - 1} on {host}")
