FROM python:3.12-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY steadygraph ./steadygraph
COPY api ./api
COPY workflows ./workflows
COPY activities ./activities
RUN pip install --no-cache-dir .
EXPOSE 8123
