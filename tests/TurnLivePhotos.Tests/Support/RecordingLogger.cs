using Microsoft.Extensions.Logging;

namespace TurnLivePhotos.Tests.Support;

/// <summary>Keeps what was logged, so a test can check that a warning was given.</summary>
public sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly List<(LogLevel Level, string Text)> messages = [];

    public IReadOnlyList<(LogLevel Level, string Text)> Messages
    {
        get
        {
            lock (messages)
            {
                return [.. messages];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (messages)
        {
            messages.Add((logLevel, formatter(state, exception)));
        }
    }
}
