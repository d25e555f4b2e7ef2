# syntax=docker/dockerfile:1
# One polls replica. docker-compose.yml runs it as the `web` service, scaled with --scale web=N.
#
# The base images are arguments, the official ones by default. Where Docker Hub cannot be reached,
# scripts/images builds equivalents from Debian's packages and names them (see the README, "Without Docker Hub").
# EXTRA_CA_CERT: optional, the PEM text of one more CA for pip and npm (a registry behind a TLS-intercepting
# proxy). Only the build stages see it; the image that runs copies nothing of theirs but the installed packages.
ARG PYTHON_IMAGE=python:3.14-slim
ARG NODE_IMAGE=node:26-slim

# htmx comes from npm as pinned by the lock file, copied to the same place scripts/setup puts it.
# Node 26 is the current LTS line. The development packages (axe-core, for the browser tests) are left out.
FROM ${NODE_IMAGE} AS webclient
ARG EXTRA_CA_CERT=""
WORKDIR /webclient
COPY webclient/package.json webclient/package-lock.json ./
RUN if [ -n "$EXTRA_CA_CERT" ]; then printf '%s\n' "$EXTRA_CA_CERT" >/tmp/extra-ca.pem \
        && export NODE_EXTRA_CA_CERTS=/tmp/extra-ca.pem; fi \
    && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error \
    && rm -f /tmp/extra-ca.pem \
    && mkdir -p vendor/ext \
    && cp node_modules/htmx.org/dist/htmx.min.js vendor/ \
    && cp node_modules/htmx.org/dist/ext/hx-ws.min.js vendor/ext/

# Every pinned requirement has a manylinux wheel, so this stage needs no compiler and no apt.
FROM ${PYTHON_IMAGE} AS venv
ARG EXTRA_CA_CERT=""
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN if [ -n "$EXTRA_CA_CERT" ]; then cat /etc/ssl/certs/ca-certificates.crt >/tmp/ca.pem 2>/dev/null || true; \
        printf '%s\n' "$EXTRA_CA_CERT" >>/tmp/ca.pem && export PIP_CERT=/tmp/ca.pem; fi \
    && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r /tmp/requirements.txt \
    && rm -f /tmp/ca.pem

FROM ${PYTHON_IMAGE}
# A fixed numeric id, so an orchestrator can check runAsNonRoot without reading /etc/passwd.
RUN groupadd --system --gid 10001 polls \
    && useradd --system --no-log-init --uid 10001 --gid polls --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin polls
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    POLLS_HOST=0.0.0.0 \
    POLLS_PORT=8000
WORKDIR /app
COPY --from=venv /opt/venv /opt/venv
# The code stays owned by root, so the replica cannot modify what it runs; hence it is compiled here.
# Everything create_app reads at start: the package, and the webclient's templates, static files and
# translations (tests/unit/test_deployment_files.py checks that this list covers what the app opens).
COPY polls/ polls/
COPY webclient/templates/ webclient/templates/
COPY webclient/static/ webclient/static/
COPY webclient/locales/ webclient/locales/
COPY --from=webclient /webclient/vendor/ webclient/static/vendor/
RUN python -m compileall -q polls
USER 10001:10001
EXPOSE 8000
# Readiness, as HAProxy sees it: /healthz answers 200 only while the replica reaches PostgreSQL and is not
# draining.
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", \
        "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ['POLLS_PORT'], timeout=2)"]
# SIGTERM (docker stop): the replica fails its health check for POLLS_DRAIN_SECONDS, so HAProxy takes it
# out, then drains within POLLS_GRACEFUL_SHUTDOWN_TIMEOUT.
CMD ["python", "-m", "polls"]
