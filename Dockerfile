# graphsvc API image: migrations, a complete pipeline run, then the API.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GRAPHSVC_DATA_DIR=/var/lib/graphsvc \
    GRAPHSVC_API_HOST=0.0.0.0 \
    GRAPHSVC_API_PORT=8000

WORKDIR /app
COPY pyproject.toml README.md ./
COPY graphsvc ./graphsvc
COPY etl ./etl
COPY cypher ./cypher
RUN pip install . \
    && useradd --system --create-home --home-dir /var/lib/graphsvc graphsvc
USER graphsvc
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=5 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/v1/health/ready', timeout=4).status == 200 else 1)"
# migrate, run the pipeline over the optional inputs, then serve. Inputs are space-separated paths inside the
# container (mount them, e.g. ./data:/data:ro): GRAPHSVC_INPUT_MIXESDB, GRAPHSVC_INPUT_1001TRACKLISTS,
# GRAPHSVC_INPUT_REKORDBOX, GRAPHSVC_INPUT_FEATURES.
CMD ["sh", "-c", "set -eu; etl migrate; set --; \
for f in ${GRAPHSVC_INPUT_MIXESDB:-}; do set -- \"$@\" --mixesdb \"$f\"; done; \
for f in ${GRAPHSVC_INPUT_1001TRACKLISTS:-}; do set -- \"$@\" --1001tracklists \"$f\"; done; \
for f in ${GRAPHSVC_INPUT_REKORDBOX:-}; do set -- \"$@\" --rekordbox \"$f\"; done; \
for f in ${GRAPHSVC_INPUT_FEATURES:-}; do set -- \"$@\" --features \"$f\"; done; \
etl run --mode complete \"$@\"; \
exec graphsvc serve --host 0.0.0.0 --port \"${GRAPHSVC_API_PORT:-8000}\""]
