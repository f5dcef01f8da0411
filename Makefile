# meshbed: the entry points. `make help` lists them.
MVN ?= mvn -B -q
.DEFAULT_GOAL := help

.PHONY: help build test demo bench clean

help: ## this list
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## the runnable jars: gateway/target/gateway.jar, sample-apps/target/sample-app.jar
	$(MVN) -DskipTests package

test: ## every test tier that can run here (unit, then integration)
	$(MVN) verify

demo: ## local mode: v1, v2 and the gateway on 127.0.0.1, requests through it, the split vs the weights
	scripts/demo.sh

bench: build ## the gateway against nginx and HAProxy on an 80:20 split (../shared/bench/edge-bench.sh)
	scripts/bench.sh

clean: ## remove build output
	$(MVN) clean
	rm -rf target
