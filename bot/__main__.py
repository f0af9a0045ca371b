from bot.cli.commands import main

raise SystemExit(main())
