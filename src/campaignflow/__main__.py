"""``python -m campaignflow``: the same command line as the ``campaignflow`` script."""

from campaignflow.cli import main

if __name__ == "__main__":
    main(prog_name="campaignflow")
