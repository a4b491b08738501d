global using Xunit;
global using EdgeAi.TestSupport;
global using EdgeAi.Image.Tests.Support;
