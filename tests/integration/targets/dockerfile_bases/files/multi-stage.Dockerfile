# escape=\
# Multi-stage: an ARG-expanded FROM of another registry, a heredoc whose
# body is no instruction, COPY --from a stage, external images by tag and
# by digest, and a stage after the target.
ARG REGISTRY=quay.io
FROM ${REGISTRY}/gating/other:3.0 AS build
RUN <<EOF
FROM heredoc/not-an-image
EOF

from gating/speculative-base AS Final
ARG PINNED
COPY --from=build /hello.txt /build.txt
COPY --from=gating/absent:1 /x /y
COPY --from=quay.io/gating/other@${PINNED} \
     /hello.txt /pinned.txt

FROM final AS test
COPY --from=example.org/not/used /x /y
