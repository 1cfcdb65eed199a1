import startup

startup.configure_process()  # first, before anything loads torch (settings.py)

from cli.main import main  # noqa: E402

raise SystemExit(main())
