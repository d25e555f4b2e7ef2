# syntax=docker/dockerfile:1
# One polls replica. docker-compose.yml runs it as the `web` service, scaled with --scale web=N.

# htmx comes from npm as pinned by the lock file, copied to the same place scripts/setup puts it.
# Node 26 is the current LTS line.
FROM node:26-slim AS webclient
WORKDIR /webclient
COPY webclient/package.json webclient/package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund --loglevel=error \
    && mkdir -p vendor/ext \
    && cp node_modules/htmx.org/dist/htmx.min.js vendor/ \
    && cp node_modules/htmx.org/dist/ext/hx-ws.min.js vendor/ext/

# Every pinned requirement has a cp314 manylinux wheel, so this stage needs no compiler and no apt.
FROM python:3.14-slim AS venv
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r /tmp/requirements.txt

FROM python:3.14-slim
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
COPY polls/ polls/
COPY webclient/templates/ webclient/templates/
COPY webclient/static/ webclient/static/
COPY --from=webclient /webclient/vendor/ webclient/static/vendor/
RUN python -m compileall -q polls
USER 10001:10001
EXPOSE 8000
# Readiness, as HAProxy sees it: /healthz answers 200 only while the replica reaches PostgreSQL.
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", \
        "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ['POLLS_PORT'], timeout=2)"]
# The replica's own SIGTERM handling drains it within POLLS_GRACEFUL_SHUTDOWN_TIMEOUT.
CMD ["python", "-m", "polls"]
