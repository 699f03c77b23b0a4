# CPU-only OCR service (Flask + gunicorn/gevent + onnxruntime int8 CRNN), as a small non-root image.
#
#   docker build -t crnn-ocr .   &&   docker run -p 5000:5000 crnn-ocr
#   (without a Docker engine: `make docker`, see tools/podman_build.sh)
#
# Two stages on Debian's bookworm-slim (python3 is 3.11, the version the project pins for):
#   build    installs python3-venv and builds /opt/venv from the pinned requirements.txt
#   runtime  only python3 + that venv + the files the service reads; no compiler, no pip cache.

FROM debian:bookworm-slim AS build

# Debian package versions are not pinned: bookworm's point and security releases replace them on
# the mirror, so a pinned version would stop building; the suite (bookworm) is the pin.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv \
    && rm -rf /var/lib/apt/lists/*

RUN python3 -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
# pip and setuptools are only needed to build the venv, and the packages' own test suites
# (numpy, gevent, ...: about 23 MB) are never imported: the runtime image carries neither.
RUN /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r /tmp/requirements.txt \
    && /opt/venv/bin/pip uninstall --yes --disable-pip-version-check pip setuptools \
    && find /opt/venv -depth -type d -name tests -exec rm -rf {} +


FROM debian:bookworm-slim AS runtime

# Same interpreter the venv was built against (/opt/venv/bin/python -> /usr/bin/python3).
# The service user gets a home: gunicorn puts its control socket in ~/.gunicorn and onnxruntime
# keeps a small state file under $HOME; without one both log permission errors at every start.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 ocr \
    && useradd --uid 10001 --gid ocr --create-home --home-dir /home/ocr --shell /usr/sbin/nologin ocr

COPY --from=build /opt/venv /opt/venv

# gunicorn.conf.py binds OCR_BIND when set, else ${OCR_HOST:-127.0.0.1}:${PORT:-5000}. In a
# container the service must listen on every interface; PORT stays overridable (`-e PORT=8080`,
# as platforms that inject PORT expect).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=5000 \
    OCR_HOST=0.0.0.0

WORKDIR /app
# Code and data stay root-owned and read-only for the service user.
COPY gunicorn.conf.py ./
COPY service/ service/
COPY preprocess/ preprocess/
COPY templates/ templates/
COPY static/ static/
# model/*.py carries the runtime modules (charset, ctc, session, recognizer); the training-time
# ones are copied too but never imported (torch is not installed here). Only the int8 model is
# shipped: it is Settings' default; the fp32 crnn.onnx is used by quantize/ and bench/, not by
# the service, and would only add size (mount it and set OCR_MODEL_PATH to serve it).
COPY model/*.py model/
COPY model/crnn.int8.onnx model/charset.txt model/

USER 10001:10001
EXPOSE 5000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '5000'), timeout=4)"]

CMD ["gunicorn", "-c", "gunicorn.conf.py"]
