# ogedge image. Both stages use scripts/install.sh, the installer behind `./dev run`, so the
# path the tests exercise is the path the image is built with.
#   docker build -t ogedge .        docker compose up        (see docker-compose.yml)

# ---- builder: the project and its Python dependencies in /app/.venv ----------------------
FROM python:3.11-slim-bookworm AS builder
WORKDIR /app
COPY . .
# As root, install.sh also apt-installs the fonts and redis-server (unused here, harmless);
# the Python of the base image is new enough, so no Debian Python is added. pip's cache and
# build leftovers stay in this stage.
RUN scripts/install.sh run

# ---- runtime ------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm
# VIPS_BLOCK_UNTRUSTED: libvips refuses its less-audited loaders (ogedge decodes untrusted
# avatars, logos and page images). Granian binds every interface inside the container.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIPS_BLOCK_UNTRUSTED=1 \
    PATH=/app/.venv/bin:$PATH \
    OGEDGE_HOST=0.0.0.0 \
    OGEDGE_PORT=8000 \
    OGEDGE_DATA_DIR=/data
WORKDIR /app
# Source, templates/ and the venv. The venv's python links to /usr/local/bin/python3, which
# is the same in both stages.
COPY --from=builder /app /app
# Run the installer again: the venv is already stamped as installed, so this only
# apt-installs what runs next to Python: the fonts rendering needs, and redis-server, the
# embedded Redis `ogedge serve` starts when no OGEDGE_REDIS_URL is set (its AOF and socket in
# /data/redis/, socket /data/redis/redis.sock). The dpkg-query line fails the build if
# install.sh ever stops installing one of them (tests/unit/test_deploy_files.py keeps this list
# equal to install.sh's FONT_PKGS and REDIS_PKGS).
RUN scripts/install.sh run \
    && dpkg-query -W fontconfig fonts-dejavu-core fonts-inter fonts-noto-core fonts-noto-color-emoji fonts-noto-cjk redis-server >/dev/null \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --create-home --home-dir /home/ogedge ogedge \
    && mkdir -p /data && chown ogedge:ogedge /data
# /app stays owned by root (read-only for the server); the only writable place is /data,
# the local-disk store used when no S3 bucket is configured, and the embedded Redis's
# directory (/data/redis) when no OGEDGE_REDIS_URL is.
USER ogedge
VOLUME /data
EXPOSE 8000
# slim has no curl; the venv's Python is enough. urlopen raises on anything but 2xx.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('OGEDGE_PORT', '8000'), timeout=4)"]
# `ogedge serve` starts Granian (one worker per core; OGEDGE_WORKERS to change). Exec form so
# SIGTERM reaches it directly for a graceful stop. The split lets other commands run in the
# same image: `docker compose run --rm ogedge keys create --project acme`.
ENTRYPOINT ["ogedge"]
CMD ["serve"]
