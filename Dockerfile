# khoagiao against external PostgreSQL and NATS (see compose.yaml).
FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir . \
    && useradd --system --create-home khoagiao \
    && mkdir /data && chown khoagiao /data

USER khoagiao
ENV KHOAGIAO_HOST=0.0.0.0 \
    KHOAGIAO_PORT=8000 \
    KHOAGIAO_DATA_DIR=/data
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"
CMD ["khoagiao", "serve"]
