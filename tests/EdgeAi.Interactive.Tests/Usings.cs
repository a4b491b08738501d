global using EdgeAi.TestSupport;
global using Xunit;

// The magics keep one session per kernel process (EdgeAi.Interactive.Mnist), as a notebook does.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerAssembly)]
