# The two commands. Both install what they need (scripts/bootstrap.sh).
.PHONY: run test
run:
	@scripts/run.sh
test:
	@scripts/test.sh
