from steadygraph.cli import main

main()
