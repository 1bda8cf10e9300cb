using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Media;
using TurnLivePhotos.Media.Formats;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>Where a job's files live: OutputsHome/jobs/&lt;id&gt;/, with the uploaded photo as input.photo beside the results.</summary>
public sealed class JobFiles(OutputLocation outputs)
{
    public string Folder(string id) => Path.Combine(outputs.Directory, "jobs", id);

    public string? ReadInput(string id) => File.Exists(InputPath(id)) ? InputPath(id) : null;

    public void SaveInput(string id, byte[] photo)
    {
        Directory.CreateDirectory(Folder(id));
        AtomicFile.WriteAllBytes(InputPath(id), photo);
    }

    /// <summary>Deletes the job's photo once nothing will run the job again (it ended, or was canceled while queued).</summary>
    public void DeleteInput(string id)
    {
        if (Directory.Exists(Folder(id)))
        {
            File.Delete(InputPath(id));
        }
    }

    public void Delete(string id)
    {
        if (Directory.Exists(Folder(id)))
        {
            Directory.Delete(Folder(id), recursive: true);
        }
    }

    /// <summary>The file of one format, for a name the job recorded.</summary>
    public string PathOf(string id, string fileName) => Path.Combine(Folder(id), fileName);

    /// <summary>
    /// What each format downloads as, by name in the job folder: a Live Photo as its .zip (the JPG and MOV
    /// together, as the writer returned it), every other format as its one file.
    /// </summary>
    public static IReadOnlyDictionary<OutputFormat, string> Downloads(ConversionResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Files.ToDictionary(
            file => file.Key,
            file => Path.GetFileName(file.Key == OutputFormat.Live && result.Written.Live is { } live ? live.Zip : file.Value));
    }

    private string InputPath(string id) => Path.Combine(Folder(id), "input.photo");
}
