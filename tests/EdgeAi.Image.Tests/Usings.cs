global using Xunit;
global using EdgeAi.Core.Tests.Support;
global using EdgeAi.Image.Tests.Support;
global using EdgeAi.Notebook.Tests.Support;
