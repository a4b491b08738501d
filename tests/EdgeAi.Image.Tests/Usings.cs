global using EdgeAi.Image.Tests.Support;
global using EdgeAi.TestSupport;
global using Xunit;
