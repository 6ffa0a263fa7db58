# The image comes from ARGs: a default, a build argument and a bare build
# argument taken from the environment.
ARG NAMESPACE=nobody
ARG TAG=none
FROM ${NAMESPACE}/speculative-base:${TAG:-latest}
