# make run-page-png: regenerate docs/run-page.png, a screenshot of the demo's run page.
#
# Clips the demo game into RUN_PAGE_OUT with a fixed run id, then opens its run page in
# Debian's headless chromium (apt-get install chromium) and saves the 1400x1000 viewport once
# the videos on screen show their play (tests/support/browser.py).

RUN_PAGE_OUT ?= .cache/run-page-demo
RUN_PAGE_ID := docs-run-page

.PHONY: run-page-png
run-page-png: $(VENV_STAMP) ## Regenerate docs/run-page.png (the demo's run page, in chromium).
	@command -v chromium >/dev/null || { echo 'chromium is needed: apt-get install chromium' >&2; exit 2; }
	$(BIN)/playclips trigger demo-game-1 --out $(RUN_PAGE_OUT) --run-id $(RUN_PAGE_ID) --log-format text
	$(BIN)/python -m tests.support.browser screenshot \
	  $(RUN_PAGE_OUT)/reports/$(RUN_PAGE_ID)/index.html docs/run-page.png
