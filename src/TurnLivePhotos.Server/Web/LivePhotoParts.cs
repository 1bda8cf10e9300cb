using System.IO.Compression;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Server.Jobs;
using TurnLivePhotos.Server.Web.Access;

namespace TurnLivePhotos.Server.Web;

/// <summary>The pieces of a Live Photo the page hands to each platform.</summary>
public enum LivePhotoPart
{
    /// <summary>NAME.JPG or NAME.HEIC (the HEIC still of a HEIC photo), for the iPhone's share sheet beside the movie.</summary>
    Still,

    /// <summary>NAME.MOV.</summary>
    Movie,

    /// <summary>NAME.pvt zipped (a package is a folder): Safari unpacks it and Photos on a Mac imports it on double-click.</summary>
    Package,
}

/// <summary>
/// <c>GET /api/v1/jobs/{id}/live/{part}</c>: the Live Photo's still, movie or .pvt package on their own (the jobs API's
/// <c>files/live</c> is the .zip of still and movie). The files are the ones the writer put beside the .zip.
/// </summary>
public static class LivePhotoParts
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/jobs/{id}/live/{part}", Get).WithTags("jobs").RequireAuthorization(AccessControl.OwnerPolicy)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status404NotFound)
            .Produces(StatusCodes.Status200OK, null, "image/jpeg", "image/heic", "video/quicktime", "application/zip");

    public static Results<PhysicalFileHttpResult, FileContentHttpResult, ProblemHttpResult> Get(string id, string part, IJobService manager, HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(manager);
        if (!TurnLivePhotos.Media.EnumNames.TryParse<LivePhotoPart>(part, out var parsed)
            || manager.FilePath(id, OutputFormat.Live) is not { } zip)
        {
            return NotFound(id, part, response);
        }

        switch (parsed)
        {
            case LivePhotoPart.Still or LivePhotoPart.Movie:
                var (path, type) = parsed == LivePhotoPart.Movie
                    ? (Path.ChangeExtension(zip, ".MOV"), "video/quicktime")
                    : File.Exists(Path.ChangeExtension(zip, ".HEIC"))
                        ? (Path.ChangeExtension(zip, ".HEIC"), "image/heic")
                        : (Path.ChangeExtension(zip, ".JPG"), "image/jpeg");
                return File.Exists(path)
                    ? TypedResults.PhysicalFile(path, type, Path.GetFileName(path))
                    : NotFound(id, part, response);
            default:
                var package = Path.ChangeExtension(zip, ".pvt");
                if (!Directory.Exists(package))
                {
                    return NotFound(id, part, response);
                }

                // Still, movie and metadata.plist: a few MB the server wrote itself, zipped in memory under NAME.pvt/.
                using (var buffer = new MemoryStream())
                {
                    ZipFile.CreateFromDirectory(package, buffer, CompressionLevel.NoCompression, includeBaseDirectory: true);
                    return TypedResults.File(buffer.ToArray(), "application/zip", Path.GetFileName(package) + ".zip");
                }
        }
    }

    private static ProblemHttpResult NotFound(string id, string part, HttpResponse response) =>
        ErrorResponses.Problem(new RequestError(StatusCodes.Status404NotFound, "Not found", $"job {id} has no Live Photo {ClientText.Quote(part)}"), response);
}
