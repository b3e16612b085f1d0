# Heartbeat in a container: non-root, the database on a volume.
#   docker build -t heartbeat .
#   docker run -d --name heartbeat --env-file .env -v heartbeat-data:/data --restart unless-stopped heartbeat
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_PATH=/data/heartbeat.db

RUN useradd --system --create-home --home-dir /home/heartbeat --uid 10001 heartbeat \
    && mkdir /data && chown heartbeat:heartbeat /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY config ./config
RUN pip install .

USER heartbeat
WORKDIR /home/heartbeat
VOLUME ["/data"]
# SIGTERM (docker stop) flushes and closes the database; give it the time it needs.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot"]
