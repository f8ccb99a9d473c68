# One image for the gateway and every subgraph; docker-compose.yml picks the entry point.
FROM node:20-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY kit/package.json ./kit/
RUN npm ci --omit=dev --no-audit --no-fund
COPY kit ./kit
COPY gateway ./gateway
COPY subgraphs ./subgraphs
COPY schema ./schema
COPY scripts ./scripts
ENV NODE_ENV=production
USER node
# Node flags as scripts/supervisor.ts (serviceNodeArgs) says why; the kit runs from its TypeScript
# sources (scripts/kit-source.ts), so the image builds nothing.
CMD ["node", "--min-semi-space-size=16", "--max-semi-space-size=16", "--no-memory-reducer", "--conditions=@consent-gateway/source", "--import", "tsx", "gateway/main.ts"]
