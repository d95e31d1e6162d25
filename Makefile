# The two commands of the README. The work is in scripts/, which CI and Docker share.
#   make run     serve the loaded API at http://127.0.0.1:$(PORT)  (PORT, DATABASE_URL)
#   make test    the whole suite on SQLite and on PostgreSQL       (PYTEST_ARGS, TEST_LEGS, DATABASE_URL)

PORT ?= 8000
PYTEST_ARGS ?=
export PORT

.PHONY: run test venv clean

run:
	scripts/run.sh

test:
	scripts/test.sh $(PYTEST_ARGS)

venv:
	scripts/venv.sh requirements-test.txt

# Removes what make created: the virtual environment, the SQLite database, collected files.
clean:
	rm -rf .venv db.sqlite3 db.sqlite3-journal db.sqlite3-wal db.sqlite3-shm staticfiles
