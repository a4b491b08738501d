global using EdgeAi.TestSupport;
global using Xunit;

// One real kernel at a time: on 2 cores, kernels started together only slow each other down.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerAssembly)]
