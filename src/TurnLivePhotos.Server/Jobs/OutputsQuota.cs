using System.IO.Enumeration;
using TurnLivePhotos.Core.Configuration;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>OutputsHome holds <c>[StoreOptions] MaxOutputsGb</c> or more: no new job is taken until retention (or someone) frees space.</summary>
public sealed class OutputsFullException(double limitGb)
    : Exception(FormattableString.Invariant($"the server's storage for results is full (limit {limitGb:0.###} GB); try again once older jobs have expired"));

/// <summary>
/// <c>[StoreOptions] MaxOutputsGb</c>: before a job is accepted (both upload routes, both stores) the files under
/// OutputsHome — job folders, the SQLite store, anything else placed there — are summed; at or over the limit the job
/// is refused with 507. The sum is taken afresh for every submission, so space freed by retention or by hand counts
/// at once; a walk of the folder's entries (no file is opened) is cheap next to a conversion.
/// </summary>
public sealed class OutputsQuota(OutputLocation outputs, AppSettings settings)
{
    private const double BytesPerGb = 1024d * 1024 * 1024;

    private static readonly EnumerationOptions Everything = new()
    {
        RecurseSubdirectories = true,
        IgnoreInaccessible = true,
        AttributesToSkip = FileAttributes.ReparsePoint,
    };

    /// <exception cref="OutputsFullException">OutputsHome has reached the limit.</exception>
    public void EnsureRoom()
    {
        var limit = settings.Store.MaxOutputsGb;
        if (limit > 0 && UsedBytes() >= limit * BytesPerGb)
        {
            throw new OutputsFullException(limit);
        }
    }

    /// <summary>Bytes of every file under OutputsHome (links are not followed).</summary>
    public long UsedBytes()
    {
        if (!Directory.Exists(outputs.Directory))
        {
            return 0;
        }

        var sizes = new FileSystemEnumerable<long>(outputs.Directory, (ref FileSystemEntry entry) => entry.Length, Everything)
        {
            ShouldIncludePredicate = (ref FileSystemEntry entry) => !entry.IsDirectory,
        };
        return sizes.Sum();
    }
}
