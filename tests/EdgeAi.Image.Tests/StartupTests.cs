namespace EdgeAi.Image.Tests;

/// <summary>The entrypoint refuses to serve notebooks without authentication.</summary>
public sealed class StartupTests(LabImage image)
{
    [Fact]
    public void An_empty_token_is_refused_with_a_message()
    {
        var result = image.Podman.Run("run", "--rm", "-e", "JUPYTER_TOKEN=", image.Image);
        Assert.Equal(64, result.ExitCode);
        Assert.Contains("JUPYTER_TOKEN is empty", result.Stderr);
        Assert.Contains("openssl rand", result.Stderr);   // and says how to make one
    }

    [Fact]
    public void A_missing_token_is_refused_too()
    {
        var result = image.Podman.Run("run", "--rm", image.Image);
        Assert.Equal(64, result.ExitCode);
        Assert.Contains("JUPYTER_TOKEN is empty", result.Stderr);
    }

    [Fact]
    public void The_image_runs_as_uid_1000_by_default()
    {
        Assert.Equal("1000:1000", image.Podman.Check("image", "inspect", image.Image, "--format", "{{.Config.User}}").Trim());
        Assert.Equal("1000", image.Podman.Check("run", "--rm", "--entrypoint", "id", image.Image, "-u").Trim());
    }
}
