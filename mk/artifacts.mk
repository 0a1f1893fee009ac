# The chart's embedded artifacts store: versitygw (an S3 API over a directory, Apache-2.0) from the Go
# module proxy, packed alone into an image with no registry (hack/build-artifacts-image.sh).
.PHONY: artifacts-image
artifacts-image: ## Build the artifacts store image into $(CODERUN_CACHE)/images/artifacts.tar (needs root; cached by its inputs).
	hack/build-artifacts-image.sh build
