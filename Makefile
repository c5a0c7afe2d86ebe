# The two commands. Both install what they need (scripts/bootstrap.sh).
.PHONY: run test demo bench
run:
	@scripts/run.sh
test:
	@scripts/test.sh
# Like run, with a demo business created first (it prints how to sign in).
demo:
	@scripts/run.sh --demo
# Latency on the large data set (100k appointments), the job queue, live
# updates and rate limits, release build. ARGS="--save NAME" or "--compare NAME".
bench:
	@scripts/bench.sh $(ARGS)
