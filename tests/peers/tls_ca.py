#!/usr/bin/env python3
"""A throwaway certificate authority for the TLS tests, made at test time.

Not a peer of its own: the TLS fakes (fake_provider.py, fake_device_provider.py
with a certificate) and tests/integration/test_network.py use it. Every key
and certificate is made by `openssl` in a private temporary directory and
is removed with it; nothing is kept between runs.

    from tls_ca import TlsCA
    with TlsCA() as ca:
        cert, key = ca.issue("idp.test", ["DNS:idp.test"])
        ca.cert                          # the CA certificate (PEM file)
        self_cert, self_key = ca.self_signed("127.0.0.1", ["IP:127.0.0.1"])
        ca.server_context(cert, key)     # an ssl.SSLContext that serves them
"""

import os
import shutil
import ssl
import subprocess
import tempfile
from pathlib import Path


def _openssl(*args):
    subprocess.run(["openssl", *args], check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class TlsCA:
    """A CA key and certificate; issue() makes server certificates."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="clerk-test-ca-"))
        os.chmod(self.dir, 0o700)
        self.key = self.dir / "ca.key"
        self.cert = self.dir / "ca.pem"
        self._n = 0
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                 "-subj", "/CN=clerk-credential test CA",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                 "-keyout", str(self.key), "-out", str(self.cert))

    def _paths(self, name):
        self._n += 1
        stem = self.dir / ("%d-%s" % (self._n, name.replace("/", "_")))
        return Path(str(stem) + ".pem"), Path(str(stem) + ".key")

    def issue(self, name, sans):
        """A server certificate for CN name and subjectAltNames sans."""
        cert, key = self._paths(name)
        csr = Path(str(cert) + ".csr")
        ext = Path(str(cert) + ".ext")
        ext.write_text("subjectAltName=%s\nextendedKeyUsage=serverAuth\n"
                       "basicConstraints=critical,CA:FALSE\n" % ",".join(sans))
        _openssl("req", "-new", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=" + name,
                 "-keyout", str(key), "-out", str(csr))
        _openssl("x509", "-req", "-in", str(csr), "-CA", str(self.cert),
                 "-CAkey", str(self.key), "-CAcreateserial", "-days", "2",
                 "-extfile", str(ext), "-out", str(cert))
        return cert, key

    def self_signed(self, name, sans):
        """A self-signed server certificate (no CA vouches for it)."""
        cert, key = self._paths(name + "-self")
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                 "-subj", "/CN=" + name, "-addext",
                 "subjectAltName=" + ",".join(sans),
                 "-keyout", str(key), "-out", str(cert))
        return cert, key

    @staticmethod
    def server_context(cert, key, max_version=None):
        """A server-side context for cert and key; max_version caps TLS."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if max_version is not None:
            # An old server: let OpenSSL offer the old versions at all.
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = max_version
        ctx.load_cert_chain(str(cert), str(key))
        return ctx

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
