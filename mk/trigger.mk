# make trigger GAMES="g1 g2 ..." | GAMES_FILE=ids.txt [ENV=local|dev|prod] [OUT=out] [MODE=copy|encode] [WAIT=1]
#
# ENV=local (the default) clips the games on this machine into OUT and writes their dataset
# below OUT/datasets/RUN_ID/; asked for the demo game (GAMES=demo-game-1) it makes it first.
# ENV=dev or prod starts one execution of that environment's workflow (names read from
# `terraform -chdir=terraform/envs/ENV output -json`) and prints its console URL; WAIT=1
# follows it to the end and prints the dataset summary. docs/orchestration.md has the rest.

MODE ?=
WAIT ?=
# A file of game ids (a JSON list, or one per line) for lists too long for a command line.
GAMES_FILE ?=

.PHONY: trigger
trigger: $(VENV_STAMP) ## Clip GAMES="g1 g2" and build their dataset: ENV=local (here, into OUT), dev or prod.
	@test -n "$(strip $(GAMES)$(GAMES_FILE))" || { echo 'GAMES="g1 g2 ..." (or GAMES_FILE=ids.txt) is required (try GAMES=demo-game-1)' >&2; exit 2; }
	$(BIN)/playclips trigger $(GAMES) $(if $(GAMES_FILE),--games-file $(GAMES_FILE)) --env $(ENV) --out $(OUT) $(if $(MODE),--mode $(MODE)) $(if $(WAIT),--wait)
