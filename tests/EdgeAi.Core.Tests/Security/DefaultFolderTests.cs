using System.Reflection;
using EdgeAi.Core.Files;

namespace EdgeAi.Core.Tests.Security;

/// <summary>
/// The defaults a user does not choose (the store outside a cluster, the data and native caches) are absolute and this
/// user's alone: the same command finds the same store from any working folder, and in a shared folder used as a home
/// (/tmp, a 1777 lab folder) nobody else can plant a model or a library first.
/// </summary>
[Trait("Needs", "cli-build")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DefaultFolderTests : IDisposable
{
    static readonly string Cli = typeof(DefaultFolderTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Cli").Value!;
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    /// <summary>A fresh account: a home without ~/.local/share, commands run from another folder.</summary>
    [Fact]
    public void Without_local_share_the_default_store_is_in_the_home_whatever_the_working_folder()
    {
        var home = Directory.CreateDirectory(temp.Combine("home")).FullName;
        var elsewhere = Directory.CreateDirectory(temp.Combine("elsewhere")).FullName;
        var result = Edgeai(home, elsewhere, "list");
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Equal($"no models in {Path.Combine(home, ".local", "share", "edgeai", "books")}", result.Stdout.Trim());
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
    }

    [Fact]
    public void A_home_that_is_not_absolute_is_named_instead_of_using_the_working_folder()
    {
        var elsewhere = Directory.CreateDirectory(temp.Combine("elsewhere")).FullName;
        var result = Edgeai("relative-home", elsewhere, "list");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no home folder (HOME is 'relative-home')", result.Stderr);
        Assert.Contains("EDGEAI_WEIGHTS_DIR", result.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
    }

    /// <summary>Another user made ~/.local in a shared home first, with a model of theirs in it.</summary>
    [Fact]
    public void A_store_planted_by_someone_else_in_a_shared_home_is_refused_not_loaded()
    {
        var shared = SharedFolder();
        var planted = Directory.CreateDirectory(Path.Combine(shared, ".local", "share", "edgeai", "books", "mnist-mlp")).FullName;
        ForeignOwned(Path.Combine(shared, ".local"));
        var result = Edgeai(shared, temp.Path, "eval");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("The default weight store", result.Stderr);
        Assert.Contains($"{Path.Combine(shared, ".local")} is not yours alone", result.Stderr);
        Assert.Contains("EDGEAI_WEIGHTS_DIR", result.Stderr);
        Assert.DoesNotContain("   at ", result.Output);
        Assert.Empty(Directory.GetFileSystemEntries(planted));
    }

    [Fact]
    public void Folders_of_ones_own_pass_and_folders_others_can_change_do_not()
    {
        var own = Directory.CreateDirectory(temp.Combine("own", "edgeai")).FullName;
        Assert.Equal(own, UserFolders.RequireOwn(own, "The test folder", "choose another"));
        Assert.Equal(Path.Combine(own, "not-yet"), UserFolders.RequireOwn(Path.Combine(own, "not-yet"), "The test folder", "choose another"));

        // A sticky world-writable folder (as /tmp) may hold ours; a world-writable folder may not, nor be ours.
        var shared = SharedFolder();
        var mine = Directory.CreateDirectory(Path.Combine(shared, "mine")).FullName;
        UserFolders.RequireOwn(Path.Combine(mine, "store"), "The test folder", "choose another");
        Assert.Contains("other users may write to it", Assert.Throws<EdgeAiException>(() => UserFolders.RequireOwn(shared, "The test folder", "choose another")).Message);
        var open = Directory.CreateDirectory(temp.Combine("open")).FullName;
        File.SetUnixFileMode(open, (UnixFileMode)0b111_111_111);
        var e = Assert.Throws<EdgeAiException>(() => UserFolders.RequireOwn(Path.Combine(open, "store"), "The test folder", "use --store"));
        Assert.Contains($"{open} is not yours alone (other users may write to it (mode 777))", e.Message);
        Assert.Contains("use --store", e.Message);

        // A link is judged by where it leads.
        var link = temp.Combine("link");
        File.CreateSymbolicLink(link, open);
        Assert.Throws<EdgeAiException>(() => UserFolders.RequireOwn(Path.Combine(link, "store"), "The test folder", "choose another"));
    }

    [Fact]
    public void The_download_cache_in_a_planted_folder_is_refused()
    {
        var cache = SharedFolder();
        ForeignOwned(Directory.CreateDirectory(Path.Combine(cache, "edgeai")).FullName);
        var store = Directory.CreateDirectory(temp.Combine("store")).FullName;
        var info = Processes.Info("dotnet", [Cli, "train", "--epochs", "1", "--store", store]);
        info.Environment["XDG_CACHE_HOME"] = cache;
        info.Environment.Remove("EDGEAI_DATA_DIR");
        var result = Processes.Execute(info, TimeSpan.FromMinutes(2));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("The MNIST download cache", result.Stderr);
        Assert.Contains($"{Path.Combine(cache, "edgeai")} is not yours alone", result.Stderr);
    }

    /// <summary>The default folder missing inside a shared one: made at once, this user's alone (0700), so nobody can
    /// make it first between the check and the first save.</summary>
    [Fact]
    public void A_missing_default_folder_is_made_at_once_for_this_user_alone()
    {
        var home = Path.Combine(SharedFolder(), "home");
        var store = UserFolders.RequireOwn(Path.Combine(home, ".local", "share", "edgeai", "books"), "The test store", "choose another");
        Assert.True(Directory.Exists(store));
        foreach (var folder in new[] { home, store })
        {
            var status = FileStatus.Of(folder);
            Assert.Equal(FileStatus.Me.User, status.Owner);
            Assert.Equal((UnixFileMode)0b111_000_000, status.Mode);
        }
    }

    /// <summary>In a sticky folder a link's owner can point it elsewhere whenever they like: only this user's or
    /// root's links are followed. And a folder a shared group can write is someone else's too.</summary>
    [Fact]
    public void A_link_or_a_group_that_someone_else_controls_is_refused()
    {
        if (FileStatus.Me.User != 0)
            Assert.Skip("giving a link or a folder to another user or group needs root (CI runs as root)");
        var mine = Directory.CreateDirectory(temp.Combine("mine")).FullName;
        var link = Path.Combine(SharedFolder(), "home");
        File.CreateSymbolicLink(link, mine);
        Assert.Equal(Path.Combine(link, "store"), UserFolders.RequireOwn(Path.Combine(link, "store"), "The test store", "choose another"));
        Processes.Run("chown", "-h", "12345:12345", link);
        var e = Assert.Throws<EdgeAiException>(() => UserFolders.RequireOwn(Path.Combine(link, "store2"), "The test store", "choose another"));
        Assert.Contains("it is a symbolic link that belongs to uid 12345", e.Message);

        var grouped = Directory.CreateDirectory(temp.Combine("grouped")).FullName;
        Processes.Run("chgrp", "users", grouped);
        File.SetUnixFileMode(grouped, (UnixFileMode)0b111_111_101);
        e = Assert.Throws<EdgeAiException>(() => UserFolders.RequireOwn(Path.Combine(grouped, "store"), "The test store", "choose another"));
        Assert.Contains("which others are in", e.Message);
    }

    /// <summary>A folder like /tmp: world-writable with the sticky bit.</summary>
    string SharedFolder()
    {
        var shared = Directory.CreateDirectory(temp.Combine("shared")).FullName;
        File.SetUnixFileMode(shared, (UnixFileMode)0b1_111_111_111);
        return shared;
    }

    /// <summary>As another user would leave it: theirs when we are root (chown), else open to everyone (mode 777),
    /// which is refused for the same reason: someone else can change it.</summary>
    static void ForeignOwned(string path)
    {
        if (FileStatus.Me.User == 0)
            Processes.Run("chown", "-R", "12345:12345", path);
        else
            File.SetUnixFileMode(path, (UnixFileMode)0b111_111_111);
    }

    Processes.Result Edgeai(string home, string workingFolder, params string[] arguments)
    {
        var info = Processes.Info("dotnet", [Cli, .. arguments]);
        info.WorkingDirectory = workingFolder;
        info.Environment["HOME"] = home;
        // dotnet itself keeps its own first-run files under HOME; they are not the store.
        info.Environment["DOTNET_CLI_HOME"] = temp.Path;
        foreach (var variable in new[] { "EDGEAI_WEIGHTS_DIR", "XDG_DATA_HOME", "XDG_CACHE_HOME", "EDGEAI_NATIVE_CACHE" })
            info.Environment.Remove(variable);
        return Processes.Execute(info, TimeSpan.FromMinutes(2));
    }
}
