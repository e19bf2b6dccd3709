"""The shared frontier: Redis keys (:mod:`.redis`) and its scheduler (:mod:`.scheduler`)."""

#: Request meta: what answers this request teaches the worker that asked it
#: (a case probe), so that worker fetches it: never queued in the shared frontier,
#: where another worker would take it and learn the answer instead.
OWN_WORKER = "dna_own_worker"
