# hokoku as a container image. Build: `docker build -t hokoku .`; run with compose.yaml
# (hokoku + PostgreSQL). Settings and secrets come from the environment, never the image.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY models ./models
COPY scheduler ./scheduler
RUN pip install . \
    && useradd --system --uid 10001 --create-home --home-dir /var/lib/hokoku hokoku
COPY deploy/entrypoint.sh /usr/local/bin/hokoku-entrypoint

# Runs as an unprivileged user; its home holds the SQLite file when no PostgreSQL is set.
USER hokoku
WORKDIR /var/lib/hokoku
ENV HOKOKU_DATABASE_URL=sqlite:////var/lib/hokoku/hokoku.db
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4)"]

ENTRYPOINT ["hokoku-entrypoint"]
CMD ["--port", "3000"]
