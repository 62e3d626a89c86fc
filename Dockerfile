# perfspec as a container image, for shards on Kubernetes (deploy/kubernetes) or any container runner.
#   docker build -t perfspec .
#   docker run --rm -v "$PWD:/work" -w /work perfspec run perf.yaml --shard 0/4 --out shard-0
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied; the build runs below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY schemas ./schemas
COPY templates ./templates
COPY specs ./specs
# Not root: perfspec needs no privileges, only a writable directory for its reports.
USER node
WORKDIR /work
ENTRYPOINT ["node", "/app/bin/perfspec.js"]
CMD ["--help"]
