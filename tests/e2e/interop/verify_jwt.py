#!/usr/bin/env python3
"""Verifies a BarTAB access token with an independent JOSE implementation (PyJWT on
the cryptography package, Debian's python3-jwt and python3-cryptography).

Usage: verify_jwt.py JWKS_URL ISSUER TOKEN

Fetches the JWKS over HTTP, picks the key named by the token's kid, verifies the
EdDSA signature, the audience "bartab", the issuer and the expiry, and prints the
token's sub. Exits non-zero (with the reason on stderr) when anything fails.
"""
import json
import sys
import urllib.request

import jwt
from jwt.algorithms import OKPAlgorithm


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    jwks_url, issuer, token = sys.argv[1:]
    with urllib.request.urlopen(jwks_url, timeout=5) as reply:
        jwks = json.load(reply)

    header = jwt.get_unverified_header(token)
    if header.get("alg") != "EdDSA" or header.get("typ") != "at+jwt":
        print(f"unexpected header {header}", file=sys.stderr)
        return 1
    matches = [k for k in jwks["keys"] if k.get("kid") == header.get("kid")]
    if len(matches) != 1:
        print(f"kid {header.get('kid')} is not in the JWKS exactly once", file=sys.stderr)
        return 1
    jwk = matches[0]

    # Two ways to build the key; both must give the same public key.
    key = jwt.PyJWK(jwk).key
    key_again = OKPAlgorithm.from_jwk(json.dumps(jwk))
    if OKPAlgorithm.to_jwk(key) != OKPAlgorithm.to_jwk(key_again):
        print("PyJWK and OKPAlgorithm disagree on the key", file=sys.stderr)
        return 1

    claims = jwt.decode(
        token,
        key,
        algorithms=["EdDSA"],
        audience="bartab",
        issuer=issuer,
        options={"require": ["exp", "iat", "iss", "sub", "aud"]},
    )
    print(claims["sub"])
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # an invalid token, an unreachable JWKS: say why, exit 1
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
