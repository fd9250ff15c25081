# syntax=docker/dockerfile:1
# Zonecut: build the web app, install the API, run as a non-root user.

FROM node:20-bookworm-slim AS frontend
WORKDIR /src
COPY openapi.yaml ./
COPY frontend/package.json frontend/package-lock.json ./frontend/
RUN cd frontend && npm ci --no-audit --no-fund
COPY frontend ./frontend
RUN cd frontend && npm run build

FROM python:3.11-slim-bookworm AS python
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /venv
WORKDIR /app
COPY pyproject.toml README.md ./
COPY api ./api
# Dependencies only: the code runs from /app, beside its migrations.
RUN /venv/bin/pip install . && /venv/bin/pip uninstall -y zonecut

FROM python:3.11-slim-bookworm
ENV PATH=/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    ZONECUT_DATA_DIR=/data \
    ZONECUT_FRONTEND_DIR=/app/frontend/dist \
    ZONECUT_HOST=0.0.0.0 \
    ZONECUT_PORT=8000
RUN useradd --system --uid 10001 --home-dir /app zonecut \
    && mkdir -p /data && chown zonecut /data
WORKDIR /app
COPY --from=python /venv /venv
COPY api ./api
COPY migrations ./migrations
COPY --from=frontend /src/frontend/dist ./frontend/dist
USER zonecut
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/api/v1/health', timeout=4).status != 200)"
# `serve` applies pending migrations, then starts the workers.
CMD ["python", "-m", "api.cli", "serve"]
