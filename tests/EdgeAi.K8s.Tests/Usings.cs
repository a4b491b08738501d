global using EdgeAi.TestSupport;
global using Xunit;
