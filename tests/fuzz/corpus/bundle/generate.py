#!/usr/bin/env python3
# Generates the seed corpus of the bundle fuzzer (tests/fuzz/fuzz_bundle.c) into this
# folder: small zips and tars, good and hostile, each under 4 KB. Run it from anywhere:
#   python3 tests/fuzz/corpus/bundle/generate.py
# (The replay also feeds this script to the harness: harmless, it is not an archive.)
import io, os, tarfile, warnings, zipfile
warnings.simplefilter("ignore")

tarfile.RECORDSIZE = 1024  # no padding to 10 KiB: seeds stay small
here = os.path.dirname(os.path.abspath(__file__))
DR = b'{"AWSEBDockerrunVersion": 2, "containerDefinitions": []}'

def zipbytes(entries, method=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', method) as z:
        for name, data, mode in entries:
            zi = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            zi.external_attr = mode << 16
            zi.compress_type = method
            z.writestr(zi, data)
    return buf.getvalue()

def tarbytes(entries, mode='w'):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as t:
        for name, data, kind, link in entries:
            ti = tarfile.TarInfo(name)
            ti.type = kind
            ti.linkname = link
            ti.size = len(data) if kind == tarfile.REGTYPE else 0
            ti.mode = 0o755 if name.endswith('.sh') else 0o644
            t.addfile(ti, io.BytesIO(data) if ti.size else None)
    return buf.getvalue()

R = tarfile.REGTYPE
seeds = {
    'good.zip': zipbytes([('Dockerrun.aws.json', DR, 0o100644),
                          ('.ebextensions/01.config', b'option_settings: []\n', 0o100644),
                          ('.platform/hooks/predeploy/01.sh', b'#!/bin/sh\n', 0o100755)]),
    'stored.zip': zipbytes([('Dockerrun.aws.json', DR, 0o100644)], zipfile.ZIP_STORED),
    'good.tar': tarbytes([('Dockerrun.aws.json', DR, R, ''), ('app/', b'', tarfile.DIRTYPE, ''),
                          ('app/link', b'', tarfile.SYMTYPE, '../Dockerrun.aws.json'),
                          ('app/hard', b'', tarfile.LNKTYPE, 'Dockerrun.aws.json')]),
    'good.tar.gz': tarbytes([('./Dockerrun.aws.json', DR, R, '')], 'w:gz'),
    'good.tar.bz2': tarbytes([('Dockerrun.aws.json', DR, R, '')], 'w:bz2'),
    'good.tar.xz': tarbytes([('Dockerrun.aws.json', DR, R, '')], 'w:xz'),
    'dotdot.tar': tarbytes([('../../x', b'x', R, ''), ('/abs', b'x', R, '')]),
    'links-out.tar': tarbytes([('up', b'', tarfile.SYMTYPE, '../..'), ('up/x', b'x', R, ''),
                               ('d', b'', tarfile.SYMTYPE, '.'), ('e', b'', tarfile.SYMTYPE, 'd/../..'),
                               ('h', b'', tarfile.LNKTYPE, '../etc/passwd')]),
    'special.tar': tarbytes([('fifo', b'', tarfile.FIFOTYPE, ''), ('dev', b'', tarfile.CHRTYPE, '')]),
    'dup.zip': zipbytes([('a', b'1', 0o100644), ('a', b'2', 0o100644)]),
    'nested.zip': zipbytes([('app/Dockerrun.aws.json', DR, 0o100644)]),
    'gz-bomb.tar.gz': tarbytes([('zeros', bytes(1 << 20), R, '')], 'w:gz'),
}
for name, data in seeds.items():
    assert len(data) <= 4096, (name, len(data))
    with open(os.path.join(here, name), 'wb') as f:
        f.write(data)
