"""Image upload and download through the image API vs copying the file.

    /tmp/devvenv/bin/python benchmarks/image_transfer.py             # 1 GiB, 3 interleaved rounds
    /tmp/devvenv/bin/python benchmarks/image_transfer.py --size-mib 256 --rounds 5

A real ``onestack serve`` (image driver ``file``, data dir on the same disk as the
source file).  Per round, in alternating order:

* upload: ``curl -T`` to ``PUT /image/v2/images/{id}/file`` -- until the 204, i.e.
  the bytes are hashed (md5 + sha512, as Glance does), on disk and the image is
  active;
* download: ``curl -o`` of ``GET /image/v2/images/{id}/file`` into a file on the
  same disk, then ``sync -f``;
* copy: ``cp SRC DST`` of the same file (coreutils; copy_file_range where the
  file system has it), then ``sync -f`` on the copy, as the upload's data is
  flushed too.

curl is the client so the client's own cost stays small.  Throughput is size / wall time; the ratios are upload/copy and download/copy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.compute_qemu.realserve import Api, Proc  # noqa: E402

MiB = 1024 * 1024


def make_file(path: Path, size: int) -> None:
    block = os.urandom(MiB)
    with path.open("wb") as f:
        for i in range(size // MiB):
            f.write(block[i % 251:] + block[: i % 251])  # not dedupable, cheap to make
        f.flush()
        os.fsync(f.fileno())


def upload(api: Api, src: Path) -> float:
    r = api.http.post("/image/v2/images", json={"name": "bench", "disk_format": "raw",
                                                 "container_format": "bare"})
    iid = r.json()["id"]
    t = time.monotonic()
    out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-T", str(src),
                          "-H", "Content-Type: application/octet-stream", "-H", f"X-Auth-Token: {api.token}",
                          "-H", "Expect:", f"{api.url}/image/v2/images/{iid}/file"],
                         capture_output=True, text=True, check=True).stdout
    took = time.monotonic() - t
    assert out == "204", out
    upload.last = iid  # type: ignore[attr-defined]
    return took


def download(api: Api, iid: str, dst: Path) -> float:
    t = time.monotonic()
    out = subprocess.run(["curl", "-sS", "-o", str(dst), "-w", "%{http_code}", "-H", f"X-Auth-Token: {api.token}",
                          f"{api.url}/image/v2/images/{iid}/file"], capture_output=True, text=True,
                         check=True).stdout
    subprocess.run(["sync", "-f", str(dst)], check=True)
    took = time.monotonic() - t
    assert out == "200", out
    dst.unlink()
    return took


def copy(src: Path, dst: Path) -> float:
    t = time.monotonic()
    subprocess.run(["cp", str(src), str(dst)], check=True)
    subprocess.run(["sync", "-f", str(dst)], check=True)
    took = time.monotonic() - t
    dst.unlink()
    return took


def hash_only(src: Path, algo: str = "sha512") -> float:
    """What the upload must compute, alone: MD5 and the multihash of the file, side by
    side in two threads (as the server does), read from the page cache.  The upload
    cannot beat this; on a 2-CPU host it also competes with curl and the HTTP server."""
    import concurrent.futures
    import hashlib

    md5, other = hashlib.md5(usedforsecurity=False), hashlib.new(algo)
    t = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(1) as pool, src.open("rb") as f:
        while block := f.read(MiB):
            fut = pool.submit(md5.update, block)
            other.update(block)
            fut.result()
    return time.monotonic() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=None, help="where the file, copies and data dir live")
    args = ap.parse_args()
    size = args.size_mib * MiB

    with tempfile.TemporaryDirectory(prefix="image-bench-", dir=args.dir) as tmp:
        src = Path(tmp) / "image.raw"
        make_file(src, size)
        serve = Proc(Path(tmp) / "data", env={"ONESTACK_SERVER__LOG_LEVEL": "warning"}).start(timeout=120)
        res: dict[str, list[float]] = {"upload": [], "download": [], "copy": [], "hash": []}
        try:
            api = Api(serve.url, timeout=600)
            print(f"{args.size_mib} MiB, {args.rounds} rounds, {tmp}")
            for r in range(args.rounds):
                order = ["copy", "upload", "download"] if r % 2 == 0 else ["upload", "download", "copy"]
                for what in order:
                    if what == "copy":
                        took = copy(src, Path(tmp) / "copy.raw")
                    elif what == "upload":
                        took = upload(api, src)
                    else:
                        took = download(api, upload.last, Path(tmp) / "down.raw")  # type: ignore[attr-defined]
                    res[what].append(took)
                    print(f"round {r + 1} {what:8s} {took:6.2f}s  {size / MiB / took:7.0f} MiB/s", flush=True)
                api.http.delete(f"/image/v2/images/{upload.last}")  # type: ignore[attr-defined]
                took = hash_only(src)
                res["hash"].append(took)
                print(f"round {r + 1} {'hash':8s} {took:6.2f}s  {size / MiB / took:7.0f} MiB/s"
                      "  (md5 + sha512 alone)", flush=True)
            api.close()
        finally:
            serve.stop()
    med = {k: statistics.median(v) for k, v in res.items()}
    print()
    for k in ("copy", "upload", "download", "hash"):
        ratio = "" if k == "copy" else f"  {100 * med['copy'] / med[k]:5.0f}% of cp"
        if k == "upload":
            ratio += f", {100 * med['hash'] / med[k]:3.0f}% of hashing alone"
        print(f"median {k:8s} {med[k]:6.2f}s  {size / MiB / med[k]:7.0f} MiB/s{ratio}")
    with open("/proc/loadavg") as f:
        print(f"host: {os.cpu_count()} CPUs, load average {f.read().split()[0]}")


if __name__ == "__main__":
    main()
