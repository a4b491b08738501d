global using Xunit;
global using EdgeAi.TestSupport;
