package cli

// commands is every tether subcommand, in the order `tether help` lists
// them. A new command is a *Command in its own file, added here.
var commands = []*Command{
	runCommand,
	serveCommand,
	statusCommand,
	disconnectCommand,
	portalCommand,
	coverCommand,
	validateCommand,
	graphCommand,
	exportCommand,
	pathsCommand,
	replayCommand,
	compatCommand,
	policyCommand,
	actionsCommand,
	transcriptCommand,
	schemaCommand,
	versionCommand,
	helpCommand,
}
