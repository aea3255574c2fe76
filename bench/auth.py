"""Auth costs: login through the local gateway (argon2id dominates) and access-token verification
in the authorizer with a warm key cache, each beside a peer measured in the same run.

Usage: .venv/bin/python bench/auth.py [--logins 60] [--concurrency 4] [--verifications 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import platform
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway import ROOT, free_port, start_stack, summarize, timed


def argon2_parameters() -> str:
    from octag.auth.passwords import hasher

    p = hasher._parameters  # argon2-cffi keeps them here; printed for the record only
    return f"argon2id t={p.time_cost} m={p.memory_cost} KiB p={p.parallelism} hash={p.hash_len} B"


async def concurrent_logins(url: str, body: dict[str, str], total: int, concurrency: int) -> dict[str, Any]:
    latencies: list[float] = []
    async with httpx.AsyncClient(timeout=60) as client:
        todo = iter(range(total))

        async def worker() -> None:
            for _ in todo:
                t = time.perf_counter()
                (await client.post(url, json=body)).raise_for_status()
                latencies.append(time.perf_counter() - t)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {"latencies": latencies, "wall": time.perf_counter() - started}


def load_authorizer() -> Any:
    spec = importlib.util.spec_from_file_location("bench_authorizer", ROOT / "functions/authorizer/app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


class Context:
    function_name = "authorizer"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:ap-northeast-2:123456789012:function:authorizer"
    aws_request_id = "bench"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--logins", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--verifications", type=int, default=5000)
    args = parser.parse_args()

    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"password hashing: {argon2_parameters()}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="octag-bench-auth-") as tmp:
        proc, stack = start_stack(Path(tmp), free_port(), free_port(), template=ROOT / "template-local.yml")
        try:
            base = stack["http_url"] + "/api/auth"
            body = {"email": f"bench-{secrets.token_hex(4)}@example.com", "password": "bench password 123"}
            httpx.post(base + "/register", json=body, timeout=60).raise_for_status()
            with httpx.Client(timeout=60) as client:
                client.post(base + "/login", json=body).raise_for_status()
                r = timed(args.logins, lambda: client.post(base + "/login", json=body).raise_for_status())
            rows.append(summarize("login via gateway (sequential)", r["latencies"], r["wall"]))
            r = asyncio.run(concurrent_logins(base + "/login", body, args.logins, args.concurrency))
            rows.append(
                summarize(f"login via gateway ({args.concurrency} concurrent)", r["latencies"], r["wall"])
            )

            from octag.auth.passwords import hash_password, verify_password

            stored = hash_password(body["password"])
            r = timed(args.logins, lambda: verify_password(stored, body["password"]))
            rows.append(summarize("peer: argon2id verify alone, in-process", r["latencies"], r["wall"]))

            # The authorizer in this process, against the stack's Secrets Manager, key cache warm.
            os.environ.update({"AWS_ENDPOINT_URL": stack["aws_endpoint_url"], **stack["environment"]})
            token = httpx.post(base + "/login", json=body, timeout=60).json()["access_token"]
            event = {
                "type": "REQUEST",
                "methodArn": "arn:aws:execute-api:ap-northeast-2:123456789012:abc/prod/GET/api/auth/me",
                "headers": {"Authorization": f"Bearer {token}"},
                "queryStringParameters": None,
            }
            authorizer = load_authorizer()
            assert authorizer(event, Context())["policyDocument"]["Statement"][0]["Effect"] == "Allow"
            r = timed(args.verifications, lambda: authorizer(event, Context()))
            rows.append(summarize("authorizer: EdDSA verify + policy, warm keys", r["latencies"], r["wall"]))
        finally:
            proc.terminate()
            proc.wait(timeout=60)

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rs_token = jwt.encode({"sub": "u", "exp": time.time() + 900}, rsa_key, algorithm="RS256")
    r = timed(args.verifications, lambda: jwt.decode(rs_token, rsa_key.public_key(), algorithms=["RS256"]))
    rows.append(summarize("peer: PyJWT RS256 verify alone", r["latencies"], r["wall"]))
    hs_secret = secrets.token_bytes(32)
    hs_token = jwt.encode({"sub": "u", "exp": time.time() + 900}, hs_secret, algorithm="HS256")
    r = timed(args.verifications, lambda: jwt.decode(hs_token, hs_secret, algorithms=["HS256"]))
    rows.append(summarize("peer: PyJWT HS256 verify alone", r["latencies"], r["wall"]))

    print(f"{'path':<48}{'n':>7}{'per s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for row in rows:
        print(
            f"{row['label']:<48}{row['n']:>7}{row['per_s']:>10.0f}{row['p50_ms']:>10.3f}{row['p99_ms']:>10.3f}"
        )
    by = {row["label"]: row for row in rows}
    login, argon = by["login via gateway (sequential)"], by["peer: argon2id verify alone, in-process"]
    print(f"argon2id is {argon['p50_ms'] / login['p50_ms']:.0%} of a sequential login's p50")


if __name__ == "__main__":
    main()
