# A Tracklog node (production shape): configured through TRACKLOG_* environment only.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY schemas schemas
COPY registry registry
COPY query query
COPY streams streams
RUN pip install --no-cache-dir .
ENV TRACKLOG_HTTP_HOST=0.0.0.0 \
    TRACKLOG_DATA_DIR=/data
VOLUME /data
EXPOSE 8000
CMD ["tracklog", "node"]
