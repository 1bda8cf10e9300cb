using System.Threading.Channels;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>
/// The events of a store that one process owns (SQLite): every change is stored by this process (its job service or
/// its worker), which announces it here right after storing it; the job's followers get the row as stored.
/// </summary>
public sealed class BroadcastJobEvents(IJobStore store) : IJobEvents
{
    private readonly JobFollowers followers = new(store.Get);

    public ChannelReader<T>? Subscribe<T>(string id, Func<JobRecord, T> view) => followers.Subscribe(id, view);

    public void Changed(string id) => followers.Send(id);

    public Task WaitForChangeAsync(TimeSpan timeout, CancellationToken cancellationToken) => followers.WaitForChangeAsync(timeout, cancellationToken);
}
