using Npgsql;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Server.Jobs.Postgres;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>The job store could not be opened (the database is unreachable, refuses the login, or the migration failed).</summary>
public sealed class JobStoreUnavailableException(string message, Exception inner) : IOException(message, inner);

/// <summary>Opens the store <c>[StoreOptions] JobStore</c> names, migrated to this build's schema.</summary>
public static class JobStores
{
    /// <exception cref="SettingsException">The connection string has a key Npgsql does not know.</exception>
    /// <exception cref="JobStoreUnavailableException">The database cannot be reached or migrated.</exception>
    public static IJobStore Open(JobStoreLocation location, string outputsHome)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (location.Kind == JobStoreKind.Sqlite)
        {
            return new SqliteJobStore(outputsHome);
        }

        try
        {
            _ = new NpgsqlConnectionStringBuilder(location.ConnectionString);
        }
        catch (ArgumentException ex)
        {
            throw new SettingsException($"invalid setting [StoreOptions] JobStore = \"{location.Describe()}\": {ex.Message}");
        }

        try
        {
            return new PostgresJobStore(location.ConnectionString!);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            throw new JobStoreUnavailableException($"the job store {location.Describe()} cannot be used: {ex.Message}", ex);
        }
    }
}
